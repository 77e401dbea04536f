@spec.version_information_endpoint.details @checklist.V221-02 @version.2.2.1
Feature: The 2.2.1 details list no module of a later version
  OCPI 2.2.1 has nine modules. Payments, Bookings and Invoice Reconciliation came with 2.3.0 and
  its add-ons: a platform that lists them in its 2.2.1 details shows its 2.3.0 side through its
  2.2.1 one. A custom module agreed with a partner may carry any identifier, so this is a warning.

  @id.versions.v221-core-modules @should @role.any
  Scenario: The 2.2.1 details name no Payments, Bookings or Invoice Reconciliation endpoint
    Given the harness holds a token the target issued
    When the harness sends GET to the version details endpoint with its current token
    Then every response is a success with an object
    And no module of a later version is listed
