@spec.transport_and_format.message_routing @checklist.M-07
Feature: A command result is addressed to the eMSP, from the CPO
  The CommandResult is a request of a functional module: it carries the routing headers, TO the
  eMSP that sent the command and FROM the CPO that carried it out, also when a hub delivers it.

  @id.commands.result-routing-headers @shall @role.cpo @role.hub
  Scenario: The CommandResult carries TO = the eMSP and FROM = the CPO
    Given the harness plays an eMSP towards the target's commands Receiver
    When the harness as eMSP sends a START_SESSION with its own response_url
    Then the result arrives with the eMSP as TO and the CPO as FROM
