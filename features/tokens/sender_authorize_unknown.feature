@spec.mod_tokens.sender @checklist.K-04
Feature: Real-time authorization of an unknown token
  A CPO asks the eMSP (or a hub) whether a token may charge with POST {url}/{token_uid}/authorize.
  A token the eMSP does not know is answered HTTP 404 with status_code 2004 and no data; nothing is
  written.

  @id.tokens.authorize-unknown-token @shall @role.any
  Scenario: Authorizing a token uid nobody issued answers HTTP 404 and 2004
    Given the harness plays a CPO towards the target's tokens Sender
    When the harness asks for real-time authorization of a token uid nobody issued
    Then the answer is HTTP 404 with status_code 2004 and no data
