"""microfactory.adapters"""
