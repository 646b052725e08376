"""Canonical domain types shared by stores, warehouses and services."""
