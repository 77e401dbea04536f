@spec.transport_and_format.pagination @checklist.T-06
Feature: The offset parameter moves through the list
  offset is the index of the first object returned: asking for offset=1 and limit=1 gives the
  second object of the list that offset=0 starts.

  @id.pagination.offset-param @shall @role.any
  Scenario: offset=1&limit=1 returns the second object of offset=0&limit=2
    Given the harness is registered with the target
    And the target advertises at least one paginated Sender endpoint
    When the harness compares pages at offset 0 and offset 1 of every paginated Sender endpoint
    Then the page at offset 1 starts with the second object of the list
