"""Card-network connectors: the port between the wallet and the networks it sends cards to.

``base`` is the contract (frozen request/result dataclasses, one ``CardNetwork`` method per
flow, the errors), ``cardnet/`` the connector for cardnet (or any acquirer speaking its wire
format), ``fake`` a programmable in-memory network for tests, ``registry`` the choice of one
from settings.

A top-level package rather than ``vault/connectors`` or ``payments/connectors``: the vault
uses it now and payments will next, and the layers contract puts it at the bottom, beside
``zhifu.kernel``, where every area may import it and it imports none of them. It imports
no Django (only the kernel); the wallet hands it plain values from its settings.
"""
