@spec.openapi @spec.transport_and_format.pagination @checklist.V221-06 @checklist.V221-08 @version.2.2.1
Feature: 2.2.1 list pages carry no field of a later version
  A 2.2.1 object has the fields 2.2.1 defines. Fields 2.3.0 added (tax_included on a Tariff,
  parking_places or help_phone on a Location, ...) in a 2.2.1 page show the platform's 2.3.0 side
  through its 2.2.1 one. 2.2.1 does not oblige receivers to tolerate fields it does not define, so
  a strict 2.2.1 client may refuse such an object: a warning, a failure under --strict.

  @id.pagination.v221-no-later-fields @should @role.any
  Scenario: Every object on the first page of every Sender list has only the fields 2.2.1 defines
    Given the harness is registered with the target
    And the target advertises at least one paginated Sender endpoint
    When the harness sends GET to every paginated Sender endpoint with its credentials token
    Then every listed object has only the fields its version defines
