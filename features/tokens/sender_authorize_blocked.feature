@spec.mod_tokens.sender @checklist.K-03
Feature: A token that may not charge is refused inside the answer
  Real-time authorization of a token that exists but is not valid is a normal answer: HTTP 200 with
  an AuthorizationInfo whose allowed says why not (BLOCKED, EXPIRED, NO_CREDIT, NOT_ALLOWED). An
  HTTP error would tell the CPO that the request failed, not that the driver may not charge. The
  harness's eMSP identity issues the token in this run; without one that may write (the target is
  the eMSP, a read-only run) the harness takes one the target lists, never one an earlier run left.

  @id.tokens.authorize-blocked-token @shall @role.any
  Scenario: Authorizing a token that is not valid answers HTTP 200 with a refusal
    Given the harness plays a CPO towards the target's tokens Sender
    When the harness asks for real-time authorization of a token that is not valid
    Then the answer is HTTP 200 with an AuthorizationInfo that does not allow the token
