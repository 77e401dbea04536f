@spec.mod_tokens.sender @spec.openapi @checklist.K-03
Feature: Real-time authorization of a known token
  A token the eMSP issued is answered with an AuthorizationInfo about that token (allowed, the
  token itself, optionally a location and an authorization reference). The harness authorizes a
  valid token its eMSP identity issued in this run (without one that may write: a valid token of
  the target's own list).

  @id.tokens.authorize-known-token @shall @role.any
  Scenario: Authorizing a known token answers an AuthorizationInfo for it
    Given the harness plays a CPO towards the target's tokens Sender
    When the harness asks for real-time authorization of a valid token
    Then the answer is an AuthorizationInfo for that token that matches openapi.yaml
