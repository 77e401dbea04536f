@spec.transport_and_format.message_routing @spec.transport_and_format.pagination
Feature: A hub lists Sessions only to the eMSP they belong to
  A Session belongs to the eMSP named in its cdr_token: it is meant for that party alone (it may
  be personal data, and is never broadcast), and a server may limit a list to what concerns its
  caller. The harness's CPO identity writes a Session for an eMSP that is not the harness's (a
  second eMSP identity when target.toml gives one, else a party that cannot exist), leaving the
  hub to route it; the harness's eMSP identity then reads the hub's sessions list, and every
  Session there must name that eMSP in its cdr_token.

  @id.routing.sessions-shown-to-their-emsp-only @should @role.hub
  Scenario: The eMSP's sessions list holds no Session of another eMSP
    Given the harness plays a CPO towards the target's sessions Receiver
    When the harness PUTs a new Session for an eMSP other than its own, leaving the hub to route it
    Then the hub lists to the harness's eMSP identity only the Sessions whose cdr_token names it
