"""The Spotzee API client: one transport, the secret-key calls, the publishable-key calls.

No Flask and no configuration of its own: keys and addresses are passed in.

    transport = Transport("https://apix.spotzee.com/api/client")
    server = SecretClient(transport, "sk_…")           # on the brand's server only
    session = server.mint_contact_session("cust-9f4b21")
    browser = ContactClient(transport, "pk_…")          # the relay's calls
    states = browser.set_states(session.token, [(7, SubscriptionState.SUBSCRIBED)])
"""

from .contact import ContactClient, NotAllowed, Saved
from .errors import ContactNotFound, OutcomeUnknown, SpotzeeError, SpotzeeUnavailable
from .models import (
    Contact,
    ContactSession,
    ContactSubscription,
    SubscriptionState,
    SubscriptionType,
)
from .server import SecretClient
from .wire import API_VERSION, Answer, Transport

__all__ = [
    "API_VERSION",
    "Answer",
    "Contact",
    "ContactClient",
    "ContactNotFound",
    "ContactSession",
    "ContactSubscription",
    "NotAllowed",
    "OutcomeUnknown",
    "Saved",
    "SecretClient",
    "SpotzeeError",
    "SpotzeeUnavailable",
    "SubscriptionState",
    "SubscriptionType",
    "Transport",
]
