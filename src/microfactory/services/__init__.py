"""microfactory.services"""
