"""microfactory.adapters.db"""
