"""microfactory.entrypoints"""
