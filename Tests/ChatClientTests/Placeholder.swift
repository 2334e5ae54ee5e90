// Client tests land with issue 3.
