@spec.transport_and_format.pagination @checklist.T-06
Feature: The next link keeps the request's filters
  The URL in Link rel="next" repeats the original request's date_from and date_to, so following
  it continues the same filtered list.

  @id.pagination.link-keeps-filters @shall @role.any
  Scenario: With date_from and date_to set, the next link carries the same date_from and date_to
    Given the harness is registered with the target
    And the target advertises at least one paginated Sender endpoint
    When the harness reads a filtered first page of every paginated Sender endpoint with limit 1
    Then every next link carries the same date_from and date_to
