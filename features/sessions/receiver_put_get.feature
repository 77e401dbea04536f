@spec.mod_sessions.receiver @checklist.S-03
Feature: A Session pushed to the Receiver is stored as sent
  A CPO PUTs its Sessions to {url}/{country_code}/{party_id}/{session_id}. The harness plays a CPO,
  names its own eMSP identity in the session's cdr_token, and writes only under its own party id.

  @id.sessions.receiver-put-get @shall @role.any
  Scenario: A new Session PUT is returned unchanged by GET
    Given the harness plays a CPO towards the target's sessions Receiver
    When the harness PUTs a new Session under its own party id
    Then the target accepts the write
    And a GET of the Session returns what was PUT, last_updated included
