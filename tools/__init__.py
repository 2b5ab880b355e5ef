"""Developer tools kept beside the product: the load benchmark and the SoapUI replayer."""
