@spec.transport_and_format.authorization
Feature: Whether the target also accepts an unencoded token
  Platforms built for 2.1.1 or 2.2 often send the token without base64. Accepting it as well is
  a tolerance the specification permits but does not require; the harness only reports it.

  @id.transport.raw-token @may @role.any
  Scenario: The harness reports whether "Token <its token>" without base64 is served
    Given the harness holds a token the target issued
    When the harness sends GET to the versions endpoint with its current token unencoded
    Then the harness notes whether the unencoded token was accepted
