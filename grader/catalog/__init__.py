"""One module per exercise file of the contract; each calls grader.registry.register once."""
