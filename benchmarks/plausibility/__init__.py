"""Calibration of the target check in cases.lib.costs: honest and inflated amounts, measured.

``population`` draws honest applications with a known true out-of-pocket need (without using the
cost formula); ``run`` measures the false-flag rate on them and the catch rate on inflated copies.
"""
