"""microfactory.adapters.carriers"""
