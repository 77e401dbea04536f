@spec.transport_and_format.pagination @checklist.T-06
Feature: Link rel="next" points to the next page, except on the last page
  While objects remain, a page carries Link: <URL>; rel="next" with an absolute URL; the last page
  carries none.

  @id.pagination.link-next @shall @role.any
  Scenario: A page that is not the last has a well-formed next link, the last page has none
    Given the harness is registered with the target
    And the target advertises at least one paginated Sender endpoint
    When the harness reads the first and the last page of every paginated Sender endpoint with limit 1
    Then every page but the last carries a well-formed Link rel="next"
    And the last page carries no Link rel="next"
