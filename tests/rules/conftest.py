"""Helpers for rule tests: a rule saved the way the dashboard saves it, then switched on."""
import pytest


@pytest.fixture
def active_rule():
    from dockline.rules.models import Rule
    from dockline.rules.services import save_rule, switch_rule

    def make(connection, name: str, actions: str, conditions: str = "", hook: str = "import") -> Rule:
        rule = save_rule(Rule(merchant=connection.merchant, name=name, hook=hook, conditions=conditions,
                              actions=actions))
        switch_rule(rule, True)
        return rule

    return make
