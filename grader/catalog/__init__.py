"""One module per exercise file of the contract; each calls grader.engine.registry.register once."""
