"""microfactory.adapters.files"""
