"""Forms for the rules pages: a rule (checked as it will run: CEL compiled, actions known), hold settings."""
from __future__ import annotations

from django import forms

from dockline.connections.models import Connection
from dockline.rules.actions import ACTIONS
from dockline.rules.models import Rule
from dockline.rules.services import rule_problems


class RuleForm(forms.ModelForm):
    """Create or edit a rule; an invalid condition is refused with its line and column."""

    class Meta:
        model = Rule
        fields = ["merchant", "connection", "name", "hook", "conditions", "actions"]
        widgets = {
            "conditions": forms.Textarea(attrs={"rows": 4, "spellcheck": "false",
                                                "placeholder": 'order.total > 100.0\n"GIFT-WRAP" in order.skus'}),
            "actions": forms.Textarea(attrs={"rows": 4, "spellcheck": "false",
                                             "placeholder": "add_item: CARD-THANKS 1 Thank-you card\nadd_tag: vip"}),
        }

    def __init__(self, *args, merchants, connections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = merchants
        self.fields["connection"].queryset = connections
        self.fields["connection"].empty_label = "Every connection of the merchant"
        if len(merchants) == 1 and not self.instance.pk:
            self.fields["merchant"].initial = merchants[0].pk

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        for field, problems in rule_problems(self.instance_with(cleaned)).items():
            for problem in problems:
                self.add_error(field if field in self.fields else None, problem)
        return cleaned

    def instance_with(self, cleaned: dict) -> Rule:
        rule = Rule(pk=self.instance.pk, **{k: cleaned.get(k) for k in self.Meta.fields})
        return rule


class HoldSettingsForm(forms.ModelForm):
    """A connection's edit window and its Abandoned limit."""

    class Meta:
        model = Connection
        fields = ["hold_minutes", "abandon_after_days"]
        labels = {"hold_minutes": "Edit window (minutes; 0 = none)",
                  "abandon_after_days": "Abandoned after (days open at the warehouse; 0 = never)"}

    def clean_hold_minutes(self) -> int:
        value = self.cleaned_data["hold_minutes"]
        if value > 60 * 24 * 7:
            raise forms.ValidationError("Hold new orders for a week (10080 minutes) at most.")
        return value


def action_help() -> list[tuple[str, str]]:
    """(name, argument) of every registered action, for the form's help."""
    return [(name, action.usage) for name, action in sorted(ACTIONS.items())]
