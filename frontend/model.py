"""What the preference templates show: subscription states grouped by channel, in the brand's
words and the customer's language, and the message the live region announces."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from spotzee import ContactSubscription, SubscriptionState

from .brand import Words
from .i18n import N_, lazy_gettext
from .i18n import gettext as _

# Channels customers manage, in the order the page shows them. Webhook types serve
# integrations and are never shown to customers.
CHANNEL_LABELS = {
    "email": lazy_gettext("Email"),
    "text": lazy_gettext("Text messages"),
    "push": lazy_gettext("Push notifications"),
    "in_app": lazy_gettext("In-app messages"),
}


@dataclass(frozen=True)
class Preference:
    """One subscription type on the page, in the state Spotzee last confirmed, named and
    described in the brand's words where it has some (else Spotzee's name)."""

    subscription_id: int
    name: str
    state: SubscriptionState
    channel: str = ""
    description: str | None = None
    frequency: str | None = None

    @property
    def subscribed(self) -> bool:
        return self.state.receives

    @property
    def confirmed(self) -> bool:
        """The customer confirmed a double opt-in (Spotzee's `opted_in`)."""
        return self.state is SubscriptionState.OPTED_IN

    @property
    def confirmation(self) -> str:
        """ "Confirmed" in words: how, and what turning it off does to it."""
        how = CONFIRMED_BY.get(self.channel, N_("You confirmed this."))
        return _(how) + " " + _("Turning it off removes the confirmation.")


# How a confirmation was given, by channel (translated when shown).
CONFIRMED_BY = {
    "email": N_("You confirmed this by email."),
    "text": N_("You confirmed this by text message."),
}


@dataclass(frozen=True)
class ChannelGroup:
    channel: str
    label: str
    preferences: tuple[Preference, ...]

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
        words = SCOPE_WORDS.get(name)
        return None if words is None else cls(name, *(_(text) for text in words))


# What each scope is called, asks and says, translated when a scope is made (only the one
# asked for: the list makes a few on every answer).
SCOPE_WORDS = {
    "all": (
        N_("Everything"),
        N_("Unsubscribe from everything"),
        N_("Unsubscribe from every email, text message and notification?"),
    ),
    "email": (
        N_("All email"),
        N_("Unsubscribe from all email"),
        N_("Unsubscribe from all email?"),
    ),
    "text": (
        N_("All text messages"),
        N_("Unsubscribe from all text messages"),
        N_("Unsubscribe from all text messages?"),
    ),
    "push": (
        N_("All push notifications"),
        N_("Unsubscribe from all push notifications"),
        N_("Unsubscribe from all push notifications?"),
    ),
    "in_app": (
        N_("All in-app messages"),
        N_("Unsubscribe from all in-app messages"),
        N_("Unsubscribe from all in-app messages?"),
    ),
}


@dataclass(frozen=True)
class Message:
    """What the live region announces. `action` adds a way on: "sign_in" or "reload";
    `undo` the states an Undo button puts back (after "unsubscribe from all")."""

    kind: str  # "success" or "error"
    text: str
    action: str | None = None
    undo: tuple[tuple[int, SubscriptionState], ...] = ()


def group_by_channel(
    states: Iterable[ContactSubscription], words: Callable[[int], Words]
) -> tuple[ChannelGroup, ...]:
    """Group subscription states by channel, in CHANNEL_LABELS order, each in the brand's
    `words`; a channel with nothing in it, and any channel not listed there, is left out."""
    by_channel: dict[str, list[Preference]] = {channel: [] for channel in CHANNEL_LABELS}
    for s in states:
        if s.channel in by_channel:
            said = words(s.subscription_id)
            by_channel[s.channel].append(
                Preference(
                    s.subscription_id,
                    said.name or s.name,
                    s.state,
                    s.channel,
                    said.description,
                    said.frequency,
                )
            )
    return tuple(
        ChannelGroup(channel, str(CHANNEL_LABELS[channel]), tuple(preferences))
        for channel, preferences in by_channel.items()
        if preferences
    )


def masked_email(email: str | None) -> str:
    """Whose preferences these are, without the whole address: "j•••@example.com"."""
    if not email or "@" not in email:
        return _("you")
    name, _at, domain = email.rpartition("@")
    return f"{name[:1]}•••@{domain}"


def everything(channels: Iterable[ChannelGroup]) -> ChannelGroup:
    """Every channel's types as one group: what "unsubscribe from everything" covers."""
    return ChannelGroup("all", "", tuple(p for group in channels for p in group.preferences))
