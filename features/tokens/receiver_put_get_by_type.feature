@spec.mod_tokens.receiver @checklist.K-01
Feature: Tokens are keyed by uid and type
  An eMSP PUTs its Tokens to {url}/{country_code}/{party_id}/{token_uid}?type=...; the same uid with
  another type is another token. The harness plays an eMSP and writes only under its own party id.

  @id.tokens.receiver-put-get-by-type @shall @role.any
  Scenario: Two Tokens with one uid and two types are stored apart
    Given the harness plays an eMSP towards the target's tokens Receiver
    When the harness PUTs a new Token under its own party id
    Then the target accepts the write
    And a GET of the Token returns what was PUT, last_updated included
    When the harness PUTs a Token with the same uid and another type
    Then both Tokens are stored apart, each under its type
