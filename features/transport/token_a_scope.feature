@spec.transport_and_format.authorization @checklist.T-02
Feature: A registration token opens only versions and credentials
  Token A exists to let a new partner read the version information and register. Used on any
  other module it must be refused with HTTP 401.

  @id.transport.token-a-scope @shall @role.any @phase.before_registration
  Scenario: Token A on a module other than versions and credentials gets HTTP 401
    Given the harness holds an unused registration token A
    And the target advertises at least one paginated Sender endpoint
    When the harness sends GET to every paginated Sender endpoint with token A
    Then every response is HTTP 401 Unauthorized
