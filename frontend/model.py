"""What the preference templates show: subscription states grouped by channel, and the
message the live region announces."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from spotzee import ContactSubscription, SubscriptionState

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
    """One subscription type on the page, in the state Spotzee last confirmed."""

    subscription_id: int
    name: str
    state: SubscriptionState

    @property
    def subscribed(self) -> bool:
        return self.state.receives

    @property
    def confirmed(self) -> bool:
        """The customer confirmed a double opt-in (Spotzee's `opted_in`)."""
        return self.state is SubscriptionState.OPTED_IN


@dataclass(frozen=True)
class ChannelGroup:
    channel: str
    label: str
    preferences: tuple[Preference, ...]

    @property
    def subscription_ids(self) -> tuple[int, ...]:
        return tuple(p.subscription_id for p in self.preferences)

    @property
    def all_off(self) -> bool:
        """Nothing of this channel arrives: "unsubscribe from all" has nothing to do."""
        return not any(p.subscribed for p in self.preferences)

    @property
    def scope(self) -> Scope:
        return Scope.of(self.channel)  # type: ignore[return-value]


@dataclass(frozen=True)
class Scope:
    """What an "unsubscribe from all" covers: one channel, or everything ("all")."""

    name: str
    subject: str  # how messages name it: "All email: unsubscribed"
    label: str  # its button
    question: str  # asked before anything changes

    @classmethod
    def of(cls, name: str) -> Scope | None:
        if name == "all":
            return cls(
                "all",
                "Everything",
                "Unsubscribe from everything",
                "Unsubscribe from every email, text message and notification?",
            )
        if name not in CHANNEL_LABELS:
            return None
        what = CHANNEL_LABELS[name].lower()
        return cls(
            name, f"All {what}", f"Unsubscribe from all {what}", f"Unsubscribe from all {what}?"
        )


@dataclass(frozen=True)
class Message:
    """What the live region announces. `action` adds a way on: "sign_in" or "reload";
    `undo` the states an Undo button puts back (after "unsubscribe from all")."""

    kind: str  # "success" or "error"
    text: str
    action: str | None = None
    undo: tuple[tuple[int, SubscriptionState], ...] = ()


def group_by_channel(states: Iterable[ContactSubscription]) -> tuple[ChannelGroup, ...]:
    """Group subscription states by channel, in CHANNEL_LABELS order; a channel with nothing
    in it, and any channel not listed there, is left out."""
    by_channel: dict[str, list[Preference]] = {channel: [] for channel in CHANNEL_LABELS}
    for s in states:
        if s.channel in by_channel:
            by_channel[s.channel].append(Preference(s.subscription_id, s.name, s.state))
    return tuple(
        ChannelGroup(channel, CHANNEL_LABELS[channel], tuple(preferences))
        for channel, preferences in by_channel.items()
        if preferences
    )


def masked_email(email: str | None) -> str:
    """Whose preferences these are, without the whole address: "j•••@example.com"."""
    if not email or "@" not in email:
        return "you"
    name, _, domain = email.rpartition("@")
    return f"{name[:1]}•••@{domain}"


def everything(channels: Iterable[ChannelGroup]) -> tuple[Preference, ...]:
    return tuple(p for group in channels for p in group.preferences)
