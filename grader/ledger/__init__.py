"""The spec ledger: every claim the course notes make, checked against torch at run time.

A claim (:mod:`grader.ledger.record`) quotes the notes briefly, glosses the quote in English and
points at a verifier: a module-level function that computes the claim's verdict (verified,
holds only when a computed condition holds, refuted) from torch with hypothesis, sympy or an
exhaustive range of small configurations (:mod:`grader.ledger.search`). The notes' code
listings are verified as submissions through the registry's own checks
(:mod:`grader.ledger.subjects`, on the copies in ``listings/``). :mod:`grader.ledger.claims`
holds the claims in the notes' order, :mod:`grader.ledger.run` evaluates them and
:mod:`grader.ledger.render` prints them.
"""
