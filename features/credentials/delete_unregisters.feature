@spec.credentials.unregister
Feature: DELETE ends the registration
  A registered party unregisters with DELETE on the credentials endpoint; the target confirms with
  success and both sides stop talking to each other.

  @id.credentials.delete @shall @role.any @phase.unregistration
  Scenario: DELETE credentials with token C succeeds
    Given the harness is registered with the target
    And the harness may change its registration
    When the harness unregisters with DELETE
    Then the unregistration is answered with success
