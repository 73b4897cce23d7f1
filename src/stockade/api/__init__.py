"""The EC2 Query protocol: request parsing, response serialisation, SigV4, filters, paging.

Everything here is driven by botocore's EC2 service model; no business logic lives here.
"""
