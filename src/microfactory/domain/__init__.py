"""microfactory.domain"""
