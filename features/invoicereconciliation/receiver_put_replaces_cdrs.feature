@spec.mod_invoice_reconciliation.receiver @checklist.IR-03 @version.2.3.0
Feature: A record PUT replaces the stored one, its list of CDRs included
  The cdrs of a record are the whole list of CDRs its invoice covers: a corrected record is PUT
  whole, and its list replaces the stored one (it is never merged with it).

  @id.invoicereconciliation.receiver-put-replaces-cdrs @shall @role.any
  Scenario: A PUT with fewer CDRs leaves exactly those CDRs
    Given the harness plays a CPO towards the target's invoicereconciliation Receiver
    When the harness POSTs a new invoice reconciliation record under its own party id
    And the harness PUTs the record again with another invoice id and fewer CDRs
    Then a GET of the record returns what was sent, its cdrs list exactly
