"""The acts of a member, one module each; every channel calls the same function.

Each act takes the session and what the member submitted (and when), checks it through
the policy, writes the record and the audit trail, and returns what happened together with
a :class:`record.acts.follow.FollowUp`: what must follow once the transaction commits.
"""
