@spec.credentials.update
Feature: The token replaced by an update stops working
  Once an update has been answered with a new token, the token it replaced should be refused. The
  specification leaves the exact switch-over moment open (ocpi/ocpi issue 568), so this is judged
  after the update's answer has arrived, and at SHOULD level.

  @id.credentials.old-token-retired @should @role.any
  Scenario: After a PUT the previous token C gets HTTP 401
    Given the harness is registered with the target
    And the harness may change its registration
    And the harness has updated its credentials
    When the harness sends GET to the versions endpoint with its previous credentials token
    Then every response refuses the token
