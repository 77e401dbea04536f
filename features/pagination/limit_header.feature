@spec.transport_and_format.pagination @checklist.T-06
Feature: Every page carries X-Limit
  A paginated answer states the largest page the server will return in the X-Limit header, on
  every page, whatever the client asked for.

  @id.pagination.limit-header @shall @role.any
  Scenario: The first and a later page of every Sender list carry an integer X-Limit
    Given the harness is registered with the target
    And the target advertises at least one paginated Sender endpoint
    When the harness reads two pages of every paginated Sender endpoint
    Then every page carries an integer X-Limit header
