"""microfactory.entrypoints.api"""
