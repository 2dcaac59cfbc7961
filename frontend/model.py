"""What the preference templates show: subscription states grouped by channel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Channels customers manage, in the order the page shows them. Webhook types serve
# integrations and are never shown to customers.
CHANNEL_LABELS = {
    "email": "Email",
    "text": "Text messages",
    "push": "Push notifications",
    "in_app": "In-app messages",
}


@dataclass(frozen=True)
class Preference:
    subscription_id: int
    name: str
    channel: str
    state: int

    @property
    def subscribed(self) -> bool:
        return self.state in (1, 2)

    @property
    def confirmed(self) -> bool:
        """State 2: the customer confirmed a double opt-in."""
        return self.state == 2


@dataclass(frozen=True)
class ChannelGroup:
    channel: str
    label: str
    preferences: tuple[Preference, ...]

    @property
    def subscription_ids(self) -> tuple[int, ...]:
        return tuple(p.subscription_id for p in self.preferences)


@dataclass(frozen=True)
class Message:
    """What the live region announces after a change."""

    kind: str  # "success" or "error"
    text: str
    sign_in: bool = False


def group_by_channel(states: Iterable[dict[str, Any]]) -> tuple[ChannelGroup, ...]:
    """Group Spotzee subscription states ({subscription_id, state, name, channel}) by channel;
    a channel with nothing in it is left out."""
    items = [Preference(s["subscription_id"], s["name"], s["channel"], s["state"]) for s in states]
    return tuple(
        ChannelGroup(channel, label, preferences)
        for channel, label in CHANNEL_LABELS.items()
        if (preferences := tuple(p for p in items if p.channel == channel))
    )
