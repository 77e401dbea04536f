@spec.transport_and_format.pagination @checklist.T-06
Feature: The limit parameter bounds the page
  A client may ask for fewer objects per page with limit; the server returns at most that many.
  A limit above the server's maximum is capped at X-Limit.

  @id.pagination.limit-param @shall @role.any
  Scenario: limit=1 returns at most one object and a huge limit at most X-Limit objects
    Given the harness is registered with the target
    And the target advertises at least one paginated Sender endpoint
    When the harness asks every paginated Sender endpoint for pages with limit 1 and with a limit above X-Limit
    Then no page holds more objects than the limit asked for or the server's X-Limit
