@spec.mod_tokens.sender @checklist.K-01 @checklist.K-03
Feature: Real-time authorization honours the token type
  A token is identified by its uid and its type; the authorize request names the type in ?type=,
  and a request without it means RFID. The harness authorizes a token of another type (issued in
  this run by its eMSP identity, or one the target lists), once with its type and once without: the
  first answer is about that token, the second is not.

  @id.tokens.authorize-by-type @shall @role.any
  Scenario: ?type= selects the token, and no type means RFID
    Given the harness plays a CPO towards the target's tokens Sender
    When the harness asks for real-time authorization of a valid token of a type other than RFID, with and without its type
    Then the answer with the type is about that token, and the answer without it is not
