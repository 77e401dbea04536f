@spec.transport_and_format.authorization @checklist.T-02
Feature: The target accepts the base64-encoded token
  In 2.3.0 and 2.2.1 the Authorization header is the word Token, one space, then the base64
  encoding of the token. A platform has to accept that form.

  @id.transport.base64-token @shall @role.any
  Scenario: A request with "Token <base64 of its token>" (token C, or token A before registering) is served
    Given the harness holds a token the target issued
    When the harness sends GET to the versions endpoint with its current token
    Then every response is a success
