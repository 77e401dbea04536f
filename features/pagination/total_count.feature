@spec.transport_and_format.pagination @checklist.T-06
Feature: Every page carries X-Total-Count
  A paginated answer tells the client how many objects match its filters in total (offset and
  limit aside), on every page, in the X-Total-Count header.

  @id.pagination.total-count @shall @role.any
  Scenario: The first and a later page of every Sender list carry an integer X-Total-Count
    Given the harness is registered with the target
    And the target advertises at least one paginated Sender endpoint
    When the harness reads two pages of every paginated Sender endpoint
    Then every page carries an integer X-Total-Count header
