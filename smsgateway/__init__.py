"""The local SMS gateway: Netgsm's, Verimor's and İleti Merkezi's sending APIs over HTTP on this
platform, for development and tests, as the local GİB hub is GİB's. It keeps what it received and can
be told to answer any of the providers' codes."""
