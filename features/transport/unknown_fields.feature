@spec.transport_and_format.unknown_fields @checklist.T-07 @version.2.3.0
Feature: JSON fields the specification does not define are tolerated
  OCPI 2.3.0 lets platforms add fields of their own; a receiver must not reject a payload because
  it contains field names it does not know, at any depth.

  @id.transport.unknown-fields-accepted @shall @role.any
  Scenario: A credentials update with extra fields at every level is accepted
    Given the harness is registered with the target
    And the harness may change its registration
    And the target accepts a plain credentials update
    When the harness updates its credentials with unknown fields at every level of the body
    Then the update is accepted
