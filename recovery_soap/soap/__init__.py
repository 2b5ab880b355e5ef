"""The SOAP face: the only package that imports spyne. It translates, it decides nothing."""
