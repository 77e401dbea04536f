@spec.mod_tariffs.receiver @checklist.F-01
Feature: Tariffs pushed to the Receiver are stored and can be deleted
  A CPO PUTs its Tariffs to {url}/{country_code}/{party_id}/{tariff_id} and removes one with DELETE
  at the same URL; the harness plays a CPO and writes only under its own party id.

  @id.tariffs.receiver-put-get-delete @shall @role.any
  Scenario: A Tariff PUT is returned unchanged, and is gone after DELETE
    Given the harness plays a CPO towards the target's tariffs Receiver
    When the harness PUTs a new Tariff under its own party id
    Then the target accepts the write
    And a GET of the Tariff returns what was PUT, last_updated included
    When the harness DELETEs the Tariff
    Then the DELETE is accepted and a GET of the Tariff answers HTTP 404
