@spec.transport_and_format.client_owned_objects @spec.openapi
Feature: A Receiver takes objects that leave out optional fields
  An OCPI object is valid with its required fields alone: a field of cardinality ? or * may be left
  out. Receivers built on generated models sometimes refuse any object that leaves one out (a web
  framework's HTTP 422). The harness writes the smallest conforming object first to each module
  Receiver it writes to; a refusal is reported here, once, and the run goes on with the fullest
  conforming object (every optional field present, null where the type allows), so that every other
  scenario still judges its own rule.

  @id.transport.minimal-objects-accepted @shall @role.any @phase.end
  Scenario: Every Receiver the harness writes to takes objects with their required fields only
    Given the harness may write module objects to the target
    When the harness has written the smallest conforming object to each module Receiver it writes to
    Then every Receiver took the smallest conforming object
