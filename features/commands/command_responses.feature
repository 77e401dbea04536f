@spec.mod_commands.receiver @spec.openapi @checklist.M-01
Feature: Every command is answered at once with a CommandResponse
  A command is asynchronous: the Receiver answers the POST straight away with a CommandResponse
  (result, timeout) saying whether it will pass the command on, and the outcome comes later to the
  response_url. The harness, as an eMSP, sends each command type it can build a valid body for.
  Against a hub the commands go to the harness's own CPO identity, which answers ACCEPTED; the hub
  must relay that answer.

  @id.commands.command-responses @shall @role.cpo @role.hub
  Scenario: Each command type is answered with a CommandResponse
    Given the harness plays an eMSP towards the target's commands Receiver
    When the harness as eMSP sends each command type it can build with its own response_url
    Then every answer is a CommandResponse that matches openapi.yaml
