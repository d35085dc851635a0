"""Pure mathematics and sans-IO protocol machines for averaging agreement.

Nothing in this package awaits, sleeps, reads a clock or does I/O: rules are functions of arrays,
protocols are state machines fed validated :class:`~agreement.messages.Envelope` objects that return
the envelopes to send and, once done, their output.
"""
